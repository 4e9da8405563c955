"""Seed 002 /api/v1/projects: projects, their users (enrolled people) and faces, check-in and search.

Every route answers for the projects the token's account may use (its own, and those shared with a group it
belongs to); any other project id, known or not, is 403. Timestamps are written as the seed writes them.
"""

import base64

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.errors import NotFound
from doors.base import FaceIdView
from faces import selectors, services
from faces.conditions import Condition, parse_candidates
from faces.models import Recognition

from . import serializers as s
from .serializers import seed_time


def errors(*codes):
    return {code: s.FaceIdErrorSerializer for code in codes}


TOKEN = OpenApiParameter("X-API-Token", str, OpenApiParameter.HEADER, required=True, description="API token.")
PHOTO_TOO_LARGE = ("Photos travel as base64 inside JSON: the body may be up to "
                   f"{settings.FACE_BODY_MAX_BYTES // (1024 * 1024)} MB.")


class ProjectScopedView(FaceIdView):
    """A Face ID route inside one project: the project is looked up once, for the token's account."""

    def project(self, project_id):
        return selectors.usable_project(self.request.user, project_id)

    def subject(self, project_id, user_id):
        return selectors.subject_of(self.project(project_id), user_id)


class PhotoView(ProjectScopedView):
    def body_max_bytes(self):
        return settings.FACE_BODY_MAX_BYTES


@extend_schema(parameters=[TOKEN])
class ProjectsView(FaceIdView):
    @extend_schema(tags=["faceid: projects"], summary="List projects",
                   description="The projects this account may use: its own and those shared with its groups.",
                   responses={200: s.ProjectSerializer(many=True), **errors(401)})
    def get(self, request):
        return Response(s.ProjectSerializer(selectors.projects_for(request.user), many=True).data)

    @extend_schema(tags=["faceid: projects"], summary="Create a project",
                   description="An addition to seed 002, which has no way to make a project.",
                   request=s.ProjectCreateSerializer, responses={201: s.CreatedSerializer, **errors(400, 401)})
    def post(self, request):
        data = self.validated(s.ProjectCreateSerializer)
        project = services.create_project(request.user, name=data["name"], match_threshold=data.get("threshold"),
                                          save_recognition_images=data["save_images"])
        return Response({"id": project.pk, "created_at": seed_time(project.created_at)}, status=201)


@extend_schema(parameters=[TOKEN])
class SubjectsView(ProjectScopedView):
    @extend_schema(tags=["faceid: users"], summary="Create a user", request=s.SubjectSerializer,
                   responses={201: s.CreatedSerializer, **errors(400, 401, 403, 409)})
    def post(self, request, project_id):
        project = self.project(project_id)
        subject = services.add_subject(project, **self.validated(s.SubjectSerializer))
        return Response({"id": subject.pk, "created_at": seed_time(subject.created_at)}, status=201)


@extend_schema(parameters=[TOKEN])
class SubjectView(ProjectScopedView):
    @extend_schema(tags=["faceid: users"], summary="Change a user", request=s.SubjectSerializer,
                   description="Changes the fields sent: group_id, registrant, properties (replaced whole) and, "
                               "as an addition to the seed, status.",
                   responses={200: s.UpdatedSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request, project_id, user_id):
        subject = self.subject(project_id, user_id)
        subject = services.update_subject(subject, **self.validated(s.SubjectSerializer))
        return Response({"id": subject.pk, "updated_at": seed_time(subject.updated_at)})

    @extend_schema(tags=["faceid: users"], summary="Delete a user",
                   description="Deletes the user, their faces and stored photos. Check-in log lines stay, unnamed.",
                   responses={200: s.DeletedSerializer, **errors(400, 401, 403, 404)})
    def delete(self, request, project_id, user_id):
        subject = self.subject(project_id, user_id)
        number = subject.pk
        deleted_at = services.delete_subject(subject)
        return Response({"id": number, "deleted_at": seed_time(deleted_at)})


@extend_schema(parameters=[TOKEN])
class FacesView(PhotoView):
    @extend_schema(tags=["faceid: faces"], summary="List a user's faces",
                   responses={200: s.FaceListItemSerializer(many=True), **errors(400, 401, 403, 404)})
    def get(self, request, project_id, user_id):
        subject = self.subject(project_id, user_id)
        return Response(s.FaceListItemSerializer(subject.faces.all(), many=True).data)

    @extend_schema(tags=["faceid: faces"], summary="Add a face", request=s.FaceCreateSerializer,
                   description="Finds the largest face in the photo and enrols it. 409 when there is no face, or it "
                               f"is too small or blurred to trust. {PHOTO_TOO_LARGE}",
                   responses={201: s.CreatedSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, project_id, user_id):
        subject = self.subject(project_id, user_id)
        data = self.validated(s.FaceCreateSerializer)
        face = services.enrol_face(subject, data["image"], save_image=data["save_image"])
        return Response({"id": face.pk, "created_at": seed_time(face.created_at)}, status=201)

    @extend_schema(tags=["faceid: faces"], summary="Delete all of a user's faces",
                   operation_id="faceid_faces_delete_all",
                   responses={200: s.FacesDeletedSerializer, **errors(400, 401, 403, 404)})
    def delete(self, request, project_id, user_id):
        subject = self.subject(project_id, user_id)
        return Response({"user_id": subject.pk, "deleted_at": seed_time(services.delete_faces(subject))})


@extend_schema(parameters=[TOKEN])
class FaceView(PhotoView):
    def face(self, project_id, user_id, face_id):
        return selectors.face_of(self.subject(project_id, user_id), face_id)

    @extend_schema(tags=["faceid: faces"], summary="Read a face",
                   responses={200: s.FaceSerializer, **errors(400, 401, 403, 404)})
    def get(self, request, project_id, user_id, face_id):
        face = self.face(project_id, user_id, face_id)
        image = None
        if face.image:
            with face.image.open("rb") as stored:
                image = base64.b64encode(stored.read()).decode("ascii")
        return Response({"id": face.pk, "image": image, "created_at": seed_time(face.created_at)})

    @extend_schema(tags=["faceid: faces"], summary="Change a face", request=s.FaceChangeSerializer,
                   description="A new `image` replaces the face's descriptor (409 as when adding). `save_image` "
                               "keeps (true) or drops (false) the stored photo; left out, a stored photo is kept "
                               "(replaced by the new one).",
                   responses={200: s.UpdatedSerializer, **errors(400, 401, 403, 404, 409)})
    def patch(self, request, project_id, user_id, face_id):
        face = self.face(project_id, user_id, face_id)
        data = self.validated(s.FaceChangeSerializer)
        face = services.change_face(face, data=data.get("image"), save_image=data.get("save_image"))
        return Response({"id": face.pk, "updated_at": seed_time(face.updated_at)})

    @extend_schema(tags=["faceid: faces"], summary="Delete a face", operation_id="faceid_face_delete",
                   responses={200: s.DeletedSerializer, **errors(400, 401, 403, 404)})
    def delete(self, request, project_id, user_id, face_id):
        face = self.face(project_id, user_id, face_id)
        number = face.pk
        return Response({"id": number, "deleted_at": seed_time(services.delete_face(face))})


RECOGNITION_ERRORS = ("400: the image or the condition cannot be read. 404: nobody is enrolled (or nobody meets "
                      "the condition). 409: no usable face in the photo (none, several with single_face, too small "
                      "or too blurred).")


@extend_schema(parameters=[TOKEN])
class CheckInView(PhotoView):
    @extend_schema(tags=["faceid: recognition"], summary="Check in a face", request=s.CheckInRequestSerializer,
                   description="Identifies the largest face in the photo among the project's people. 200 with the "
                               "person when the similarity reaches the project's threshold (or condition."
                               "min_similarity); 404 when nobody does. " + RECOGNITION_ERRORS,
                   responses={200: s.CheckInSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, project_id):
        project = self.project(project_id)
        data = self.validated(s.CheckInRequestSerializer)
        condition = Condition.parse(data.get("condition"))
        candidates = parse_candidates(data.get("option"))
        outcome = services.recognise(project, data["image"], kind=Recognition.Kind.CHECK_IN, condition=condition,
                                     candidates=candidates or 1, user=request.user)
        log = outcome.recognition
        if not outcome.matched:
            raise NotFound(log.reason)
        body = {"user_id": outcome.subject.pk, "status": outcome.subject.status,
                "similarity": log.similarity, "checkin_at": seed_time(log.created_at)}
        if candidates:
            body["candidates"] = [{"user_id": c.subject_id, "similarity": c.similarity} for c in outcome.candidates]
        return Response(body)


@extend_schema(parameters=[TOKEN])
class SearchView(PhotoView):
    @extend_schema(tags=["faceid: recognition"], summary="Search a face", request=s.RecognitionRequestSerializer,
                   description="The closest person to the largest face in the photo, and whether the similarity "
                               "reaches the threshold (`matched`). " + RECOGNITION_ERRORS,
                   responses={200: s.SearchSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, project_id):
        project = self.project(project_id)
        data = self.validated(s.RecognitionRequestSerializer)
        outcome = services.recognise(project, data["image"], kind=Recognition.Kind.SEARCH,
                                     condition=Condition.parse(data.get("condition")), user=request.user)
        log = outcome.recognition
        return Response({"user_id": outcome.subject.pk, "matched": outcome.matched, "similarity": log.similarity,
                         "searched_at": seed_time(log.created_at)})
